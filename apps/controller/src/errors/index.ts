export { HvsExceptionFilter } from './http-exception.filter';
export { ERROR_STATUS, statusOf, type TransportStatus } from './status-table';
export { internalError, toGrpcError, toHttpError, toHvsError, type HttpError, type HttpErrorBody } from './to-error';
