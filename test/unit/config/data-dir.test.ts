import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { APP_DIR_NAME, resolveDataDir } from '../../../main/config/data-dir.ts';

describe('resolveDataDir', () => {
  const env = { HOMEGATE_DATA_DIR: '/srv/homegate-env', XDG_CONFIG_HOME: '/xdg', APPDATA: '/appdata' };

  it('prefers the --data-dir flag over the environment and the platform default', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(resolveDataDir('/opt/homegate-flag', env, platform), resolve('/opt/homegate-flag'));
    }
  });

  it('makes a relative flag or HOMEGATE_DATA_DIR absolute against the working directory', () => {
    assert.equal(resolveDataDir('data', {}, 'linux'), resolve(process.cwd(), 'data'));
    assert.equal(resolveDataDir(undefined, { HOMEGATE_DATA_DIR: 'env-data' }, 'linux'), resolve('env-data'));
  });

  it('uses HOMEGATE_DATA_DIR when there is no flag (or an empty one)', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(resolveDataDir(undefined, env, platform), resolve('/srv/homegate-env'));
      assert.equal(resolveDataDir('', env, platform), resolve('/srv/homegate-env'));
    }
  });

  it('ignores an empty HOMEGATE_DATA_DIR', () => {
    assert.equal(
      resolveDataDir(undefined, { HOMEGATE_DATA_DIR: '' }, 'darwin'),
      join(homedir(), 'Library', 'Application Support', APP_DIR_NAME),
    );
  });

  it('defaults to $XDG_CONFIG_HOME/Homegate, else ~/.config/Homegate, on Linux', () => {
    assert.equal(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' }, 'linux'), join('/xdg', 'Homegate'));
    assert.equal(resolveDataDir(undefined, {}, 'linux'), join(homedir(), '.config', 'Homegate'));
    assert.equal(resolveDataDir(undefined, {}, 'freebsd'), join(homedir(), '.config', 'Homegate'));
  });

  it('treats an empty XDG_CONFIG_HOME as unset (XDG Base Directory spec), never a relative "Homegate"', () => {
    assert.equal(resolveDataDir(undefined, { XDG_CONFIG_HOME: '' }, 'linux'), join(homedir(), '.config', 'Homegate'));
  });

  it('defaults to ~/Library/Application Support/Homegate on macOS, whatever XDG says', () => {
    assert.equal(
      resolveDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' }, 'darwin'),
      join(homedir(), 'Library', 'Application Support', 'Homegate'),
    );
  });

  it('defaults to %APPDATA%\\Homegate, else ~/AppData/Roaming/Homegate, on Windows', () => {
    assert.equal(resolveDataDir(undefined, { APPDATA: '/appdata' }, 'win32'), join('/appdata', 'Homegate'));
    assert.equal(resolveDataDir(undefined, {}, 'win32'), join(homedir(), 'AppData', 'Roaming', 'Homegate'));
    assert.equal(
      resolveDataDir(undefined, { APPDATA: '' }, 'win32'),
      join(homedir(), 'AppData', 'Roaming', 'Homegate'),
    );
  });
});
