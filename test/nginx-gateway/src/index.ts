export { generateGateway, GatewayConfigError, OWN_PLUGINS, type GatewayMapping, type GeneratedGateway } from './gateway-config.ts';
export { startNginxGateway, type NginxGateway } from './gateway.ts';
export { luaRuntimeErrors, nginxUnavailable, startNginx, type NginxProcess } from './nginx.ts';
export { INTROSPECTION_ORIGIN, startPluginHarness, type PluginHarness } from './plugin-harness.ts';
