import type { EditableSettings } from '../../../../shared/ipc/contract.ts';
import { failed, IDLE, LOADING, READY, type Loadable, type SliceCreator } from '../slice.ts';

export interface SettingsSlice {
  readonly settings: EditableSettings | undefined;
  readonly settingsLoad: Loadable;
  readonly loadSettings: () => Promise<void>;
  readonly saveSettings: (settings: EditableSettings) => Promise<EditableSettings>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, api) => ({
  settings: undefined,
  settingsLoad: IDLE,
  async loadSettings() {
    if (get().settingsLoad.phase !== 'ready') set({ settingsLoad: LOADING });
    try {
      set({ settings: await api['settings.get'](undefined), settingsLoad: READY });
    } catch (error) {
      set({ settingsLoad: failed(error) });
    }
  },
  async saveSettings(settings) {
    const saved = await api['settings.update'](settings);
    set({ settings: saved, settingsLoad: READY });
    // Public names decide the address in .rdp files and the certificate's names.
    void get().loadStatus();
    return saved;
  },
});
