/** /api/v1/vms/:name/start|stop|restart: one VM by name, delegating to VmService; the body is `{}` (action-body.ts). */
import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { VmService } from '../../services/vm.service';
import { actionBody } from './action-body';
import { contextOf, type RequestLike } from './request-body';

@Controller('vms')
export class VmController {
  constructor(@Inject(VmService) private readonly vms: VmService) {}

  @Post(':name/start')
  @HttpCode(200)
  async start(@Param('name') name: string, @Req() req: RequestLike) {
    actionBody(req, 'POST /api/v1/vms/{name}/start');
    return { results: await this.vms.start({ names: [name] }, contextOf(req)) };
  }

  @Post(':name/stop')
  @HttpCode(200)
  async stop(@Param('name') name: string, @Req() req: RequestLike) {
    actionBody(req, 'POST /api/v1/vms/{name}/stop');
    return { results: await this.vms.stop({ names: [name] }, contextOf(req)) };
  }

  @Post(':name/restart')
  @HttpCode(200)
  async restart(@Param('name') name: string, @Req() req: RequestLike) {
    actionBody(req, 'POST /api/v1/vms/{name}/restart');
    return { results: await this.vms.restart({ names: [name] }, contextOf(req)) };
  }
}
