import type { Client } from '@temporalio/client';
import { availableModels, keysSetIn } from '../../domain/provider-availability.js';
import { servedModels } from '../../data/served-models.js';
import type { LoadedConfig } from '../../runtime/config.js';

export interface ModelStatus {
  /** The offline demo: a scripted model plays the agents. */
  demo: boolean;
  /** Some model can be called: a gateway serves it. */
  configured: boolean;
  /** Every provider: whether a gateway serves its models, and what to do when none does. */
  providers: Array<{ provider: string; kind: string; available: boolean; missing?: string }>;
  /** Registry models some gateway serves now (its queue has a live poller, per Temporal). */
  available: string[];
  /** Models whose key this process sees: their gateway queues should be polled. */
  expected: string[];
  /** The model each kind of work gets first, as routing would choose now (budget and circuits aside). */
  routing: { strategic?: string; cheap?: string; strong?: string; strongest?: string };
}

export async function readModelStatus(config: LoadedConfig, client: Client): Promise<ModelStatus> {
  const { providers, registry, routing } = config.models;
  const available = await servedModels(client, Object.keys(registry)).catch(() => [] as string[]);
  const first = (ids: string[]) => ids.find((id) => available.includes(id));
  return {
    demo: config.models.demo,
    configured: available.length > 0,
    providers: Object.entries(providers).map(([provider, settings]) => {
      const served = available.some((id) => registry[id]!.provider === provider);
      const where = settings.apiKeyEnv
        ? `set ${settings.apiKeyEnv} where the models worker group runs`
        : 'start a models worker group';
      return {
        provider,
        kind: settings.kind,
        available: served,
        ...(served ? {} : { missing: `no gateway serves it: ${where}` }),
      };
    }),
    available,
    expected: availableModels(config.models, keysSetIn(process.env)),
    routing: {
      strategic: first(routing.strategic),
      cheap: first(routing.tactical.cheap),
      strong: first(routing.tactical.strong),
      strongest: first(routing.strongest),
    },
  };
}
