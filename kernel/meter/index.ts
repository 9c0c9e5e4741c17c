/**
 * Fuel metering by instrumentation: the rewriter (`meterModule`) and the
 * names it adds to a module. See README.md.
 */
export { MeterError } from './bytes.js';
export { meterModule, METER_VERSION, METER_MODULE, OUT_OF_FUEL, FUEL_EXPORT, type MeterStats, type MeterOptions } from './rewrite.js';
