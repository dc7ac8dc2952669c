import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HomegateApi } from '../../../shared/ipc/contract.ts';
import { createAuditSlice, type AuditSlice } from './slices/audit.ts';
import { createCertificatesSlice, type CertificatesSlice } from './slices/certificates.ts';
import { createGatewaySlice, type GatewaySlice } from './slices/gateway.ts';
import { createHostsSlice, type HostsSlice } from './slices/hosts.ts';
import { createOnboardingSlice, type OnboardingSlice } from './slices/onboarding.ts';
import { createSessionsSlice, type SessionsSlice } from './slices/sessions.ts';
import { createSettingsSlice, type SettingsSlice } from './slices/settings.ts';
import { createTokensSlice, type TokensSlice } from './slices/tokens.ts';
import { createUiSlice, type UiSlice, type ViewId } from './slices/ui.ts';

export type HomegateState = GatewaySlice &
  SessionsSlice &
  HostsSlice &
  TokensSlice &
  CertificatesSlice &
  SettingsSlice &
  AuditSlice &
  OnboardingSlice &
  UiSlice;

export type HomegateStore = StoreApi<HomegateState>;

/**
 * The renderer's one store, built from one slice per domain around the contract's API (whichever transport
 * carries it). Plain zustand (no React), so the slices are unit-tested in Node; components reach it through
 * `useHomegate` in ./context.tsx and select single values. `initial.view` is where it opens (the URL's hash).
 */
export function createHomegateStore(api: HomegateApi, initial: { readonly view?: ViewId } = {}): HomegateStore {
  return createStore<HomegateState>()((set, get) => ({
    ...createGatewaySlice(set, get, api),
    ...createSessionsSlice(set, get, api),
    ...createHostsSlice(set, get, api),
    ...createTokensSlice(set, get, api),
    ...createCertificatesSlice(set, get, api),
    ...createSettingsSlice(set, get, api),
    ...createAuditSlice(set, get, api),
    ...createOnboardingSlice(set, get, api),
    ...createUiSlice(set, get, api),
    ...(initial.view ? { view: initial.view } : {}),
  }));
}
