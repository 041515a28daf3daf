import { describe, expect, it } from 'vitest';
import { missingBinaries } from '../../src/embedded/binaries.js';
import { describeError } from '../../src/errors.js';

describe('a machine without the embedded PostgreSQL binaries', () => {
  it('says so in one line, names the platform, and says how to point pgmedic at a database', () => {
    const { code, text } = describeError(missingBinaries(18, 'darwin', 'arm64'));
    expect(code).toBe('not_supported');
    expect(text).toContain('Linux x64 only and this is darwin arm64');
    expect(text).toContain('DATABASE_URL=postgres://');
    expect(text).not.toContain('\n');
    expect(text).not.toMatch(/Cannot find package/);
  });

  it('on Linux x64 blames the missing optional package instead', () => {
    expect(describeError(missingBinaries(16, 'linux', 'x64')).text).toContain('optional package pg16 is not installed');
  });
});
