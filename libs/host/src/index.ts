export * from './hypervisor-probes';
