import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import type { GatewayStatus } from '../../../shared/ipc/contract.ts';
import {
  HOME_ONLY_ENTRY,
  MAX_TRAY_HOSTS,
  trayMenuTemplate,
  trayStatusLine,
  type TrayActions,
} from '../../../main/app/tray-menu.ts';

const STATUS: GatewayStatus = {
  listening: { host: '0.0.0.0', port: 8443 },
  relayListening: null,
  paused: false,
  certificateFingerprint: 'AB:CD',
  liveSessions: 2,
  publicAddress: 'gw.example:8443',
  version: '0.1.0',
  auditLogProblem: null,
};

function recorder(): { actions: TrayActions; done: string[] } {
  const done: string[] = [];
  const actions: TrayActions = {
    exportRdpFile: (host) => done.push(`export:${host}`),
    copyAccessToken: (host) => done.push(`copy:${host}`),
    openWindow: () => done.push('open'),
    setPaused: (paused) => done.push(`paused:${paused}`),
    setOpenAtLogin: (open) => done.push(`login:${open}`),
    setNotify: (notify) => done.push(`notify:${notify.notifyOnConnection}/${notify.notifyOnRefusal}`),
    quit: () => done.push('quit'),
  };
  return { actions, done };
}

const click = (item: MenuItemConstructorOptions | undefined, checked?: boolean): void =>
  (item?.click as (item: { checked?: boolean }) => void)({ checked });

const NOTIFY = { notifyOnConnection: true, notifyOnRefusal: true };

const labelled = (items: MenuItemConstructorOptions[], label: string) => items.find((item) => item.label === label);

describe('tray menu', () => {
  test('status line: address, pause, live sessions', () => {
    assert.equal(trayStatusLine(STATUS), 'Listening on 0.0.0.0:8443 · 2 live sessions');
    assert.equal(
      trayStatusLine({ ...STATUS, paused: true, liveSessions: 1, listening: { host: '::', port: 443 } }),
      'Paused — Listening on [::]:443 · 1 live session',
    );
  });

  test('one Export entry per host, a Copy access token submenu, open, pause, start at login, quit', () => {
    const { actions, done } = recorder();
    const menu = trayMenuTemplate(
      { status: STATUS, hosts: ['desk', 'nas'], openAtLogin: false, notify: NOTIFY, homeOnly: false },
      actions,
    );
    assert.equal(menu[0]?.label, trayStatusLine(STATUS));
    assert.equal(menu[0]?.enabled, false);
    click(labelled(menu, 'Export RDP file for desk…'));
    click(labelled(menu, 'Export RDP file for nas…'));
    const copy = labelled(menu, 'Copy access token');
    const submenu = copy?.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      submenu.map((item) => item.label),
      ['desk', 'nas'],
    );
    click(submenu[1]);
    click(labelled(menu, 'Open Homegate'));
    const pause = labelled(menu, 'Pause gateway');
    assert.equal(pause?.type, 'checkbox');
    assert.equal(pause?.checked, false);
    click(pause, true);
    const login = labelled(menu, 'Start at login');
    assert.equal(login?.type, 'checkbox');
    click(login, true);
    const onConnection = labelled(menu, 'Notify when a client connects');
    assert.equal(onConnection?.checked, true);
    click(onConnection, false);
    click(labelled(menu, 'Notify when a connection is refused'), false);
    click(labelled(menu, 'Quit Homegate'));
    assert.deepEqual(done, [
      'export:desk',
      'export:nas',
      'copy:nas',
      'open',
      'paused:true',
      'login:true',
      'notify:false/true',
      'notify:true/false',
      'quit',
    ]);
  });

  test('without hosts it says so; long lists are cut', () => {
    const { actions } = recorder();
    const empty = trayMenuTemplate(
      { status: { ...STATUS, paused: true }, hosts: [], openAtLogin: true, notify: NOTIFY, homeOnly: false },
      actions,
    );
    assert.ok(empty.some((item) => item.label === 'No hosts yet: add one in Homegate' && item.enabled === false));
    assert.equal(labelled(empty, 'Copy access token'), undefined);
    assert.equal(labelled(empty, 'Start at login')?.checked, true);
    assert.equal(labelled(empty, 'Pause gateway')?.checked, true);
    const many = Array.from({ length: MAX_TRAY_HOSTS + 3 }, (_, index) => `host${index}`);
    const long = trayMenuTemplate(
      { status: STATUS, hosts: many, openAtLogin: true, notify: NOTIFY, homeOnly: false },
      actions,
    );
    assert.equal(long.filter((item) => item.label?.startsWith('Export RDP file')).length, MAX_TRAY_HOSTS);
    assert.ok(labelled(long, '3 more in the window…'));
  });

  test('without a public name, one entry says exported files work only at home and opens the window', () => {
    const { actions, done } = recorder();
    const state = { status: STATUS, hosts: ['desk'], openAtLogin: false, notify: NOTIFY, homeOnly: true };
    const menu = trayMenuTemplate(state, actions);
    const labels = menu.map((item) => item.label);
    assert.ok(labels.indexOf(HOME_ONLY_ENTRY) >= 0);
    assert.ok(labels.indexOf(HOME_ONLY_ENTRY) < labels.indexOf('Export RDP file for desk…'));
    click(labelled(menu, HOME_ONLY_ENTRY));
    assert.deepEqual(done, ['open']);
    const named = trayMenuTemplate({ ...state, homeOnly: false }, actions);
    assert.equal(labelled(named, HOME_ONLY_ENTRY), undefined);
    const empty = trayMenuTemplate({ ...state, hosts: [] }, actions);
    assert.equal(labelled(empty, HOME_ONLY_ENTRY), undefined, 'no hosts, nothing to export yet');
  });
});
