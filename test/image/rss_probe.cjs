// Preloaded (node --require) into a CLI child by cli_process.ts: at exit, writes the
// process's peak RSS in KiB to $WV_RSS_FILE.
const fs = require('node:fs');
process.on('exit', () => {
  if (process.env.WV_RSS_FILE) fs.writeFileSync(process.env.WV_RSS_FILE, String(process.resourceUsage().maxRSS));
});
