import { z } from 'zod';

/** The checklist's steps, in order: allow a PC, how clients reach you, trust the certificate, connect. */
export const ONBOARDING_STEPS = ['host', 'reach', 'trust', 'connect'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/** How far first-run onboarding got, as it crosses the boundary: the steps the user marked done, and whether it is over. */
export const OnboardingProgressSchema = z
  .object({
    completedSteps: z.array(z.enum(ONBOARDING_STEPS)).max(ONBOARDING_STEPS.length),
    finished: z.boolean(),
  })
  .strict();

/** A machine on this computer's loopback or LAN address that answered an RDP connection request. */
export interface LocalRdpServer {
  readonly address: string;
  readonly port: number;
  readonly latencyMs: number;
}
