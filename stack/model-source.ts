import type { MaestroConfig } from '../domain/config.js';
import { type ProviderAvailability, availableModels, providerAvailability } from '../domain/provider-availability.js';
import { CART_TAX_SPEC, cartTaxConversations } from './demo/cart-tax-script.js';
import { DEMO_SUBTASK_KEY } from './demo/demo.js';
import { type ScriptedModelServer, startScriptedModelServer } from './scripted-model/server.js';

/**
 * What plays the agents: the configured models, when a provider of one has its key here, or else
 * the scripted model of the offline demo.
 */
export type ModelSource =
  | {
      demo: false;
      /** Providers that cannot be called here, and what each one lacks. */
      leftOut: ProviderAvailability[];
      /** Routing lists none of whose models can be called here: work routed there waits for a person. */
      unreachable: Array<[name: string, ids: string[]]>;
    }
  | { demo: true };

export function chooseModelSource(
  models: MaestroConfig['models'],
  env: Record<string, string | undefined>,
): ModelSource {
  const available = availableModels(models, env);
  if (available.length === 0) return { demo: true };
  return {
    demo: false,
    leftOut: providerAvailability(models.providers, env).filter((provider) => !provider.available),
    unreachable: routingLists(models.routing).filter(([, ids]) => !ids.some((id) => available.includes(id))),
  };
}

/** The demo model answers this machine only. */
export const DEMO_MODEL_HOST = '127.0.0.1';

/** Starts the scripted model that plays the agents of the demo's subtask, at the same address at every start. */
export function startDemoModel(at: { host: string; port: number }): Promise<ScriptedModelServer> {
  return startScriptedModelServer({ script: { name: 'demo', conversations: demoConversations() }, ...at });
}

/**
 * The demo's work, recognised by its title rather than by the demo subtask's key: more subtasks of it
 * can be started to watch the team at work, and each is played the same way.
 */
export function demoConversations() {
  return cartTaxConversations(DEMO_SUBTASK_KEY).map(({ match: { key: _key, ...match }, ...conversation }) => ({
    ...conversation,
    match: { ...match, taskIncludes: CART_TAX_SPEC.title },
  }));
}

/** The environment that points the API and the workers at the demo's scripted model, and tells them it is the demo. */
export function demoModelEnv(baseUrl: string): NodeJS.ProcessEnv {
  return { MAESTRO_MODEL_BASE_URL: baseUrl, MAESTRO_MODEL: 'scripted-demo', MAESTRO_MODEL_DEMO: 'true' };
}

function routingLists(routing: MaestroConfig['models']['routing']): Array<[string, string[]]> {
  return [
    ['strategic', routing.strategic],
    ['tactical.cheap', routing.tactical.cheap],
    ['tactical.strong', routing.tactical.strong],
    ['strongest', routing.strongest],
  ];
}
