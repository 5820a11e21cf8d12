import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { loadSettings } from '../../gateway/settings.ts';
import { KONG_CONFIG_PATH } from '../../topology/index.ts';

describe('the gateway run alone', () => {
  it('treats a blank variable as unset, like every service', () => {
    const settings = loadSettings({ KONG_CONFIG: '', GATEWAY_MAPPING_FILE: '', GATEWAY_CLIENT_SECRET: '', GATEWAY_BODY_LIMIT_BYTES: '', GATEWAY_STATUS_PORT: '', LOG_LEVEL: '' });
    expect(settings).toEqual({
      KONG_CONFIG: KONG_CONFIG_PATH,
      GATEWAY_MAPPING_FILE: undefined,
      GATEWAY_CLIENT_SECRET: 'Password1',
      GATEWAY_BODY_LIMIT_BYTES: 10 * 1024 * 1024,
      GATEWAY_STATUS_PORT: undefined,
      LOG_LEVEL: 'info',
    });
  });

  it('names every bad variable at once', () => {
    expect(() => loadSettings({ GATEWAY_BODY_LIMIT_BYTES: 'big', GATEWAY_STATUS_PORT: '70000' })).toThrow(ConfigurationError);
    expect(() => loadSettings({ GATEWAY_BODY_LIMIT_BYTES: 'big', GATEWAY_STATUS_PORT: '70000' })).toThrow(
      /GATEWAY_BODY_LIMIT_BYTES: must be a whole number[\s\S]*GATEWAY_STATUS_PORT: must be at most 65535/,
    );
  });
});
