import { app } from 'electron';
import { boot } from './app/boot.ts';

// One Homegate per user: a second launch focuses the first instead of fighting over the port.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  void app.whenReady().then(boot);
}
