import { app, protocol } from 'electron';
import { boot, type BootedApp } from './app/boot.ts';
import { APP_SCHEME_PRIVILEGES } from './app/window-options.ts';

// One Homegate per user: a second launch focuses the first instead of fighting over the port.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Before `ready`: our page's scheme must be known as standard and secure when the first window opens.
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.enableSandbox();
  let booted: BootedApp | undefined;
  app.on('second-instance', () => booted?.showWindow());
  void app.whenReady().then(async () => {
    booted = await boot();
  });
}
