// The members of Curity's JavaScript procedure API that the procedure
// sandbox offers, and nothing else: one list, with where each member is
// documented. A procedure that reaches for anything missing here fails its
// test loudly, so the tests cannot pass on an API the server does not have.
//
// Sources:
//   API   https://curity.io/docs/idsvr/latest/_static/procedures-api/ (the
//         Procedures API reference: one page per interface, named below)
//   GUIDE https://curity.io/docs/identity-server/developer-guide/scripting/
//         (Common Procedure API, Token Procedure API, Token Procedure Examples)
//   EX    curityio/mcp-authorization-secured-api, idsvr/**.js (Curity's own
//         MCP example, which runs these calls on the server)
//
// `confirmed` is true where the member was read in Curity's reference or
// guide; false where only Curity's example uses it. README.md lists the
// unconfirmed ones.
//
// Curity exposes Java getters both as getX() and as the property x, so a
// member may appear in both forms with the same source.

export interface Member {
  /** Where the member is documented or used. */
  source: string;
  confirmed: boolean;
  /** The API type of the value, for members that are objects of the API. */
  type?: string;
  /** The API type a method returns, for methods that return objects of the API. */
  returns?: string;
}

export type ApiType = Record<string, Member>;

const TOKEN_CONTEXT = 'API OAuthTokenProcedureContext / TokenProcedureContext';
const EXCHANGE_CONTEXT = 'API OAuthTokenExchangeUnInitializedProcedureContext';
const AUTHORIZATION_CODE_EXAMPLE = 'EX token-procedures/set-access-token-audience.js';
const EXCHANGE_EXAMPLE = 'EX token-procedures/set-token-exchange-audience.js';
const CLAIMS_EXAMPLE = 'EX claims-provider-procedures/script-claims-provider-proc.js';
const DCR_EXAMPLE = 'EX pre-processing-procedures/mcp-client-registration-policy.js';

export const PROCEDURE_API: Record<string, ApiType> = {
  /** Globals of every procedure. */
  Globals: {
    exceptionFactory: { source: 'GUIDE Common Procedure API (global objects); EX every procedure', confirmed: false, type: 'ExceptionFactory' },
    secondsUntil: { source: 'API index page example; GUIDE Token Procedure Examples', confirmed: true },
  },
  ExceptionFactory: {
    badRequestException: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false },
  },

  DcrPreProcessingProcedureContext: {
    getRequest: { source: `GUIDE Common Procedure API (pre-processing-procedure context); ${DCR_EXAMPLE}`, confirmed: false, returns: 'ScriptRequest' },
  },
  ScriptRequest: {
    getMethod: { source: DCR_EXAMPLE, confirmed: false },
    getParsedBodyAsJson: { source: DCR_EXAMPLE, confirmed: false },
    getFormParameter: { source: `${AUTHORIZATION_CODE_EXAMPLE}; ${EXCHANGE_EXAMPLE}`, confirmed: false },
  },

  OpenIdConnectAuthorizationCodeTokenProcedureContext: {
    client: { source: `${TOKEN_CONTEXT} (the OAuth client that made the request)`, confirmed: true, type: 'OAuthClient' },
    getRequest: { source: `${AUTHORIZATION_CODE_EXAMPLE} (the reference shows request: ScriptRequest on other contexts)`, confirmed: false, returns: 'ScriptRequest' },
    getDefaultDelegationData: { source: TOKEN_CONTEXT, confirmed: true },
    delegationIssuer: { source: 'API index page example (context.delegationIssuer.issue)', confirmed: true, type: 'TokenIssuer' },
    getDefaultAccessTokenData: { source: TOKEN_CONTEXT, confirmed: true },
    accessTokenIssuer: { source: `${TOKEN_CONTEXT} (ScriptAccessTokenIssuer)`, confirmed: true, type: 'TokenIssuer' },
    getDefaultRefreshTokenData: { source: TOKEN_CONTEXT, confirmed: true },
    refreshTokenIssuer: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false, type: 'TokenIssuer' },
    getDefaultIdTokenData: { source: TOKEN_CONTEXT, confirmed: true },
    idTokenIssuer: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false, type: 'IdTokenIssuer' },
  },
  TokenIssuer: {
    issue: { source: 'API index page example (issue(data, delegation))', confirmed: true },
  },
  IdTokenIssuer: {
    issue: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false },
    atHash: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false },
  },
  OAuthClient: {
    id: { source: `${AUTHORIZATION_CODE_EXAMPLE}; ${CLAIMS_EXAMPLE}`, confirmed: false },
    properties: { source: `${AUTHORIZATION_CODE_EXAMPLE}; ${CLAIMS_EXAMPLE}`, confirmed: false },
    audiencesAsString: { source: AUTHORIZATION_CODE_EXAMPLE, confirmed: false },
  },

  OAuthTokenExchangeUnInitializedProcedureContext: {
    client: { source: `${EXCHANGE_CONTEXT} (the client that made the request)`, confirmed: true, type: 'OAuthClient' },
    request: { source: `${EXCHANGE_CONTEXT} (request: ScriptRequest)`, confirmed: true, type: 'ScriptRequest' },
    getPresentedSubjectToken: { source: `${EXCHANGE_CONTEXT} (presentedSubjectToken)`, confirmed: true },
    getPresentedSubjectTokenDelegation: { source: `${EXCHANGE_CONTEXT} (presentedSubjectTokenDelegation)`, confirmed: true },
    subjectAttributes: { source: `GUIDE Token Procedure Examples (context.subjectAttributes()); ${EXCHANGE_EXAMPLE}`, confirmed: false },
    contextAttributes: { source: EXCHANGE_EXAMPLE, confirmed: false },
    getInitializedContext: { source: EXCHANGE_EXAMPLE, confirmed: false, returns: 'OAuthTokenExchangeInitializedProcedureContext' },
  },
  OAuthTokenExchangeInitializedProcedureContext: {
    getDefaultAccessTokenJwtIssuer: { source: `${EXCHANGE_EXAMPLE}; ${TOKEN_CONTEXT} lists defaultAccessTokenJwtIssuer, this type not read`, confirmed: false, returns: 'TokenIssuer' },
  },

  IntrospectionApplicationJwtTokenProcedureContext: {
    presentedToken: { source: 'not found in the reference pages or examples read', confirmed: false, type: 'PresentedToken' },
    delegation: { source: 'not found in the reference pages or examples read', confirmed: false },
    getDefaultAccessTokenJwtIssuer: { source: `${TOKEN_CONTEXT} lists defaultAccessTokenJwtIssuer; this type's page not read`, confirmed: false, returns: 'TokenIssuer' },
  },
  PresentedToken: {
    active: { source: 'not found in the reference pages or examples read', confirmed: false },
    data: { source: 'not found in the reference pages or examples read', confirmed: false },
  },

  ClaimsProviderProcedureContext: {
    client: { source: CLAIMS_EXAMPLE, confirmed: false, type: 'OAuthClient' },
    subjectAttributes: { source: CLAIMS_EXAMPLE, confirmed: false },
    getAttributeDataSource: { source: CLAIMS_EXAMPLE, confirmed: false, returns: 'AttributeDataSource' },
  },
  AttributeDataSource: {
    getAttributes: { source: CLAIMS_EXAMPLE, confirmed: false, returns: 'AttributeRows' },
  },
  AttributeRows: {
    getRow: { source: CLAIMS_EXAMPLE, confirmed: false },
  },
};

/** The context type each procedure receives, by file (its @param type names it too). */
export const CONTEXT_OF_PROCEDURE: Record<string, string> = {
  'mcp-client-registration-policy.js': 'DcrPreProcessingProcedureContext',
  'mcp-authorization-code.js': 'OpenIdConnectAuthorizationCodeTokenProcedureContext',
  'mcp-token-exchange.js': 'OAuthTokenExchangeUnInitializedProcedureContext',
  'mcp-introspect-application-jwt.js': 'IntrospectionApplicationJwtTokenProcedureContext',
  'mcp-claims-provider.js': 'ClaimsProviderProcedureContext',
};

/** Every member that only Curity's example (or nothing read) vouches for, as Type.member. */
export function unconfirmedMembers(): string[] {
  return Object.entries(PROCEDURE_API).flatMap(([type, members]) =>
    Object.entries(members)
      .filter(([, member]) => !member.confirmed)
      .map(([name]) => `${type}.${name}`),
  );
}

/**
 * A view of `value` as the API type `typeName`: reading a member that the
 * type does not list throws, and members that are themselves API objects
 * (or methods returning them) are wrapped the same way. Values the API
 * leaves to the caller (token data, properties, rows) are passed as they are.
 */
export function asApiObject<T extends object>(value: T, typeName: string): T {
  const type = PROCEDURE_API[typeName];
  if (!type) throw new Error(`unknown procedure API type ${typeName}`);
  return new Proxy(value, {
    get(target, property, receiver) {
      if (typeof property === 'symbol') return Reflect.get(target, property, receiver);
      const member = type[property];
      if (!member) {
        throw new Error(
          `${typeName}.${property} is not a documented member of the Curity procedure API ` +
            '(idsvr-config/test/support/procedure-api.ts lists those the sandbox offers)',
        );
      }
      const found: unknown = Reflect.get(target, property, receiver);
      if (member.type && found !== null && typeof found === 'object') return asApiObject(found, member.type);
      if (member.returns && typeof found === 'function') {
        const returns = member.returns;
        return (...args: unknown[]) => {
          const result: unknown = Reflect.apply(found, target, args);
          return result !== null && typeof result === 'object' ? asApiObject(result, returns) : result;
        };
      }
      return found;
    },
  });
}
