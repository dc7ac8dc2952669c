import type { EditableSettings } from '../../../../shared/ipc/contract.ts';
import { IDLE, loader, READY, type Loadable, type SliceCreator } from '../slice.ts';

export interface SettingsSlice {
  readonly settings: EditableSettings | undefined;
  readonly settingsLoad: Loadable;
  readonly loadSettings: () => Promise<void>;
  readonly saveSettings: (settings: EditableSettings) => Promise<EditableSettings>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, api) => ({
  settings: undefined,
  settingsLoad: IDLE,
  loadSettings: loader(set, get, 'settingsLoad', async () => ({ settings: await api['settings.get'](undefined) })),
  async saveSettings(settings) {
    const saved = await api['settings.update'](settings);
    set({ settings: saved, settingsLoad: READY });
    // Public names decide the address in .rdp files and the certificate's names.
    void get().loadStatus();
    return saved;
  },
});
