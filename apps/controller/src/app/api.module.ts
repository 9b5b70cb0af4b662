/**
 * Where the REST API plugs in. Every module listed in API_MODULES is imported and its
 * controllers are served under /api/v1 (RouterModule), behind the app's error filter:
 *
 *   // apps/controller/src/app/api.module.ts
 *   export const API_MODULES: Type[] = [VmRestModule, ApplyRestModule];
 *
 * A module's `@Controller('vms')` then answers at /api/v1/vms. Keep probes and /metrics
 * out of here (they live at the root, unauthenticated).
 */
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { RestApiModule } from '../api/rest/rest-api.module';

export const API_PREFIX = 'api/v1';

/** The REST feature modules. Added by the API work (issue #3 item 2). */
export const API_MODULES: Type[] = [RestApiModule];

@Module({})
export class ApiModule {
  static register(modules: readonly Type[] = API_MODULES): DynamicModule {
    return {
      module: ApiModule,
      imports: [...modules, RouterModule.register([{ path: API_PREFIX, children: [...modules] }])],
    };
  }
}
