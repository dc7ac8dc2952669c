import { NO_ONBOARDING_PROGRESS, type AppStateStore, type OnboardingProgress } from '../../config/app-state.ts';
import type { SettingsStore } from '../../config/settings-store.ts';
import { findLocalRdp } from '../../onboarding/local-rdp.ts';
import { ONBOARDING_STEPS, type OnboardingStep } from '../../../shared/model/onboarding.ts';
import type { CallHandlers, HandlerDeps } from '../dispatch.ts';

type OnboardingCalls = 'onboarding.get' | 'onboarding.save' | 'onboarding.findLocalRdp';

/** Headless, onboarding progress lives in settings.json (the desktop app keeps it in its own app-state.json). */
export function settingsOnboardingStore(settings: SettingsStore): AppStateStore {
  return {
    getOnboarding: () => settings.get().onboarding ?? NO_ONBOARDING_PROGRESS,
    setOnboarding: async (progress) => {
      await settings.update((current) => ({
        ...current,
        onboarding: { completedSteps: [...progress.completedSteps], finished: progress.finished },
      }));
    },
  };
}

/** Only the steps the checklist knows, once each, in its order (a stored file may hold anything). */
function known(progress: OnboardingProgress): { completedSteps: OnboardingStep[]; finished: boolean } {
  const done = new Set(progress.completedSteps);
  return { completedSteps: ONBOARDING_STEPS.filter((step) => done.has(step)), finished: progress.finished };
}

export function onboardingHandlers(
  { service }: HandlerDeps,
  appState: AppStateStore = settingsOnboardingStore(service.context.settings),
): Pick<CallHandlers, OnboardingCalls> {
  return {
    'onboarding.get': () => Promise.resolve(known(appState.getOnboarding())),
    'onboarding.save': async (progress) => {
      await appState.setOnboarding(known(progress));
      return known(progress);
    },
    'onboarding.findLocalRdp': () => findLocalRdp(),
  };
}
