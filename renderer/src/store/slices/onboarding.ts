import type { CallOutput } from '../../../../shared/ipc/contract.ts';
import type { LocalRdpServer, OnboardingStep } from '../../../../shared/model/onboarding.ts';
import { IDLE, loader, READY, type Loadable, type SliceCreator } from '../slice.ts';

export type OnboardingProgress = CallOutput<'onboarding.get'>;

export interface OnboardingSlice {
  readonly onboarding: OnboardingProgress | undefined;
  readonly onboardingLoad: Loadable;
  /** Where RDP answered on this machine (undefined until looked for). */
  readonly localRdp: readonly LocalRdpServer[] | undefined;
  readonly loadOnboarding: () => Promise<void>;
  /** Marks one step done (or not) and saves the progress. */
  readonly markStep: (step: OnboardingStep, done: boolean) => Promise<void>;
  /** Hides the checklist (`true`) or brings it back (`false`), saved. */
  readonly setOnboardingFinished: (finished: boolean) => Promise<void>;
  readonly findLocalRdp: () => Promise<void>;
}

export const createOnboardingSlice: SliceCreator<OnboardingSlice> = (set, get, api) => {
  const save = async (progress: OnboardingProgress): Promise<void> => {
    set({ onboarding: await api['onboarding.save'](progress), onboardingLoad: READY });
  };
  const current = (): OnboardingProgress => get().onboarding ?? { completedSteps: [], finished: false };
  return {
    onboarding: undefined,
    onboardingLoad: IDLE,
    localRdp: undefined,
    loadOnboarding: loader(set, get, 'onboardingLoad', async () => ({
      onboarding: await api['onboarding.get'](undefined),
    })),
    async markStep(step, done) {
      const steps = current().completedSteps.filter((other) => other !== step);
      await save({ ...current(), completedSteps: done ? [...steps, step] : steps });
    },
    async setOnboardingFinished(finished) {
      await save({ ...current(), finished });
    },
    async findLocalRdp() {
      try {
        set({ localRdp: await api['onboarding.findLocalRdp'](undefined) });
      } catch {
        set({ localRdp: [] });
      }
    },
  };
};
