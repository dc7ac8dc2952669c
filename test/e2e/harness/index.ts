/** The e2e harness: real FreeRDP programs under private Xvfb displays. See test/e2e/README.md. */
export * from './cleanup.ts';
export * from './client-flavours.ts';
export * from './errors.ts';
export * from './last-resort.ts';
export * from './output-capture.ts';
export * from './ports.ts';
export * from './processes.ts';
export * from './rdp-server.ts';
export * from './temp-dirs.ts';
export * from './tools.ts';
export * from './waits.ts';
export * from './xfreerdp.ts';
export * from './xvfb.ts';
export * from './homegate.ts';
export * from './nginx.ts';
export * from './serve-fixture.ts';
export * from './in-process-fixture.ts';
