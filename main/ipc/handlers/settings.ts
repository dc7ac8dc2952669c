import type { EditableSettings } from '../../../shared/ipc/contract.ts';
import { InvalidPublicNameError } from '../../certs/errors.ts';
import { parsePublicName } from '../../certs/subject-alt-names.ts';
import type { Settings } from '../../config/schema.ts';
import { SettingsError } from '../../config/settings-store.ts';
import { ContractCallError, actor, type CallHandlers, type HandlerDeps } from '../dispatch.ts';

/** The part of the settings file the UI edits; everything else stays as it is in the file. */
export function editableSettings(settings: Settings): EditableSettings {
  return {
    publicNames: [...settings.publicNames],
    paaTtlSeconds: settings.tokens.paaTtlSeconds,
    idleTimeoutMinutes: settings.lifecycle.idleTimeoutMinutes,
    maxSessionMinutes: settings.lifecycle.maxSessionMinutes,
    consentMessage: settings.lifecycle.consentMessage,
    serviceMessage: settings.lifecycle.serviceMessage,
  };
}

export function settingsHandlers({ service }: HandlerDeps): Pick<CallHandlers, 'settings.get' | 'settings.update'> {
  const { settings } = service.context;
  return {
    'settings.get': () => Promise.resolve(editableSettings(settings.get())),
    'settings.update': async (input, context) => {
      // The certificate must be able to name every public name; refuse here rather than fail the reload later.
      try {
        for (const name of input.publicNames) parsePublicName(name);
      } catch (error) {
        if (error instanceof InvalidPublicNameError) throw new ContractCallError('invalid-input', error.message);
        throw error;
      }
      const before = editableSettings(settings.get());
      let saved: Settings;
      try {
        saved = await settings.update((current) => ({
          ...current,
          publicNames: input.publicNames,
          tokens: { ...current.tokens, paaTtlSeconds: input.paaTtlSeconds },
          lifecycle: {
            ...current.lifecycle,
            idleTimeoutMinutes: input.idleTimeoutMinutes,
            maxSessionMinutes: input.maxSessionMinutes,
            consentMessage: input.consentMessage,
            serviceMessage: input.serviceMessage,
          },
        }));
      } catch (error) {
        if (error instanceof SettingsError) throw new ContractCallError('invalid-input', error.message);
        throw error;
      }
      const after = editableSettings(saved);
      const changed = (Object.keys(after) as (keyof EditableSettings)[]).filter(
        (key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]),
      );
      if (changed.length > 0) service.audit.record({ event: 'settings.updated', changed, ...actor(context) });
      return after;
    },
  };
}
