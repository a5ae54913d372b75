// Subscriptions: the outbox dispatcher, rest-hook delivery and the websocket hub of this process.
import type http from 'node:http';
import type { Provider } from 'oidc-provider';
import { fhirMountPath, type Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';
import { Dispatcher, type EventConsumer } from './dispatcher.js';
import { SubscriptionRegistry } from './registry.js';
import { RestHooks } from './rest-hook.js';
import { WebsocketHub } from './websocket.js';
import { vitalSignAlerts } from './vitals.js';

export { subscriptionWrites } from './hook.js';
export { statusOperation, eventsOperation, bindingTokenOperation, websocketUrl } from './operations.js';
export { TOPICS } from './topics.js';
export { turnOffSubscriptionsOf } from './lifecycle.js';

export class Subscriptions {
  readonly registry: SubscriptionRegistry;
  readonly dispatcher: Dispatcher;
  readonly restHooks: RestHooks;
  readonly hub: WebsocketHub;

  constructor(db: Db, repo: Repository, config: Config, log: Logger, provider: Provider, consumers: EventConsumer[] = [vitalSignAlerts(config.baseUrl)]) {
    this.registry = new SubscriptionRegistry(config, log);
    this.restHooks = new RestHooks(db, repo, config, log, this.registry);
    this.hub = new WebsocketHub(db, config, log, this.registry, provider, `${fhirMountPath(config)}/ws`);
    this.dispatcher = new Dispatcher(db, config, log, this.registry, consumers, (recorded, written) => {
      // this process need not wait for its own NOTIFY
      if (recorded) {
        this.hub.wake();
        if (this.registry.hasLiveRestHooks()) this.restHooks.wake();
      }
      for (const id of written) this.restHooks.activateSoon(id);
    });
  }

  async start(httpServer: http.Server): Promise<void> {
    await this.hub.start(httpServer);
    await this.restHooks.start();
    await this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.restHooks.stop();
    await this.hub.stop();
  }
}
