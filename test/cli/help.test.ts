import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/wasmvisor.js';

describe('wasmvisor --help', () => {
  it('every command has a description and --help', () => {
    const program = buildProgram();
    expect(program.commands.length).toBeGreaterThan(0);
    for (const c of program.commands) {
      expect(c.description(), `command ${c.name()} lacks a description`).not.toBe('');
      expect(c.helpInformation()).toContain(`Usage: wasmvisor ${c.name()}`);
    }
  });
});
