/*
 * Token procedure for OAuth 2.0 token exchange, RFC 8693 (flow
 * oauth-token-oauth-token-exchange on the token endpoint).
 *
 * The MCP server holds a JWT whose audience is the MCP server itself. Before
 * it calls the stocks API it exchanges that token for one whose audience is
 * the API. The new token keeps the user and the claims the API authorizes on,
 * names the MCP server as the actor, and never lives longer than the token
 * it was exchanged from. Any other audience, or a subject token that was not
 * issued for the MCP server, is refused.
 *
 * @param {se.curity.identityserver.procedures.context.OAuthTokenExchangeUnInitializedProcedureContext} context
 */
function result(context) {
    var audience = context.request.getFormParameter('audience');
    if (!audience || String(audience) !== API_AUDIENCE) {
        throw exceptionFactory.badRequestException(
            'invalid_target',
            'Tokens can only be exchanged for the audience ' + API_AUDIENCE
        );
    }

    var subjectToken = context.getPresentedSubjectToken();
    var subjectDelegation = context.getPresentedSubjectTokenDelegation();
    if (!subjectToken || !subjectDelegation) {
        throw exceptionFactory.badRequestException(
            'invalid_request',
            'The subject token is not an active access token issued by this server'
        );
    }
    if (audiencesOf(subjectToken).indexOf(MCP_AUDIENCE) === -1) {
        throw exceptionFactory.badRequestException(
            'invalid_request',
            'Only access tokens issued for the MCP server can be exchanged'
        );
    }

    var tokenData = exchangedTokenData(subjectToken, String(context.client.id));
    var issuingContext = context.getInitializedContext(
        context.subjectAttributes(),
        context.contextAttributes(),
        [API_AUDIENCE],
        splitScope(tokenData.scope)
    );
    var accessToken = issuingContext.getDefaultAccessTokenJwtIssuer().issue(tokenData, subjectDelegation);

    return {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'bearer',
        expires_in: secondsUntil(tokenData.exp),
        scope: tokenData.scope
    };
}

var API_AUDIENCE = 'https://api.demo.example';
var MCP_AUDIENCE = 'https://mcp.demo.example/';
var ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// The exchanged token is the same grant seen by another audience: it keeps
// the subject token's identifiers and times (so exp can only be the same,
// never later), the user, the scope and the claims the API decides on.
// Anything else the subject token carried is left behind.
var KEPT_CLAIMS = [
    'jti', 'iss', 'iat', 'nbf', 'exp', 'purpose', 'delegationId',
    'sub', 'scope', 'region', 'client_type', 'client_assurance_level'
];

function exchangedTokenData(subjectToken, actorClientId) {
    var data = {};
    for (var i = 0; i < KEPT_CLAIMS.length; i++) {
        var value = claimOf(subjectToken, KEPT_CLAIMS[i]);
        if (value !== undefined && value !== null) {
            data[KEPT_CLAIMS[i]] = value;
        }
    }
    data.aud = API_AUDIENCE;
    data.act = { sub: actorClientId };
    return data;
}

// Token data may be a JavaScript object or a Java map.
function claimOf(token, name) {
    var value = token[name];
    if ((value === undefined || value === null) && typeof token.get === 'function') {
        value = token.get(name);
    }
    return value;
}

function audiencesOf(token) {
    var aud = claimOf(token, 'aud');
    if (aud === undefined || aud === null) {
        return [];
    }
    if (typeof aud === 'string') {
        return [aud];
    }
    if (typeof aud.size === 'function' && typeof aud.get === 'function') {
        var items = [];
        for (var i = 0; i < aud.size(); i++) {
            items.push(String(aud.get(i)));
        }
        return items;
    }
    if (typeof aud.length === 'number') {
        return Array.prototype.slice.call(aud).map(String);
    }
    return [String(aud)];
}

function splitScope(scope) {
    return scope ? String(scope).split(' ') : [];
}
