/**
 * REST's half of services/refusals.ts: an error a route ends with is recorded as gRPC's edge
 * records it (a verified caller's PERMISSION_DENIED: one `denied` audit record), then goes on
 * to the app's error filter unchanged. Unauthenticated requests never get here: the
 * authentication middleware answers them first.
 */
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { isHvsError } from '@hvs/domain';
import { catchError, type Observable } from 'rxjs';
import { Refusals } from '../../services/refusals';
import { routeOf, type AuthenticatedRequest } from './authentication';

@Injectable()
export class RestRefusals implements NestInterceptor {
  constructor(@Inject(Refusals) private readonly refusals: Refusals) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((e: unknown) => {
      if (isHvsError(e) && e.category === 'PermissionDenied') {
        const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
        this.refusals.record('rest', routeOf(req), e, req.hvsContext);
      }
      throw e;
    }));
  }
}
