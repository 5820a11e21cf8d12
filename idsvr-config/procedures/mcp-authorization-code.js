/*
 * Token procedure for the authorization code grant (flow
 * oauth-token-authorization-code on the token endpoint).
 *
 * Issues the usual tokens with one change: when the client sends an RFC 8707
 * resource parameter, the access token's audience becomes that resource, but
 * only if the client is allowed that audience. An MCP client therefore gets
 * an opaque token that the gateway and the MCP server accept, and cannot ask
 * for a token aimed at any other API. Without a resource parameter the
 * client's configured audiences apply, as with the built-in procedure.
 *
 * The access token stays opaque: the default access token issuer of this
 * profile is not configured to issue JWTs.
 *
 * @param {se.curity.identityserver.procedures.context.OpenIdConnectAuthorizationCodeTokenProcedureContext} context
 */
function result(context) {
    var resource = requestedResource(context);

    // Check before anything is issued, so a refused request leaves no grant.
    if (resource && allowedAudiences(context.client).indexOf(resource) === -1) {
        throw exceptionFactory.badRequestException(
            'invalid_target',
            'The requested resource is not an audience this client may use'
        );
    }

    var delegationData = context.getDefaultDelegationData();
    var delegation = context.delegationIssuer.issue(delegationData);

    var accessTokenData = context.getDefaultAccessTokenData();
    if (resource) {
        accessTokenData.aud = resource;
    }
    var accessToken = context.accessTokenIssuer.issue(accessTokenData, delegation);

    var response = {
        access_token: accessToken,
        token_type: 'bearer',
        expires_in: secondsUntil(accessTokenData.exp),
        scope: accessTokenData.scope
    };

    // MCP clients are registered with refresh_token_ttl 0, so there is no
    // refresh token data for them; other clients keep their refresh tokens.
    var refreshTokenData = context.getDefaultRefreshTokenData();
    if (refreshTokenData) {
        var refreshToken = context.refreshTokenIssuer.issue(refreshTokenData, delegation);
        if (refreshToken) {
            response.refresh_token = refreshToken;
        }
    }

    var idTokenData = context.getDefaultIdTokenData();
    if (idTokenData) {
        idTokenData.at_hash = context.idTokenIssuer.atHash(accessToken);
        response.id_token = context.idTokenIssuer.issue(idTokenData, delegation);
    }

    return response;
}

function requestedResource(context) {
    var value = context.getRequest().getFormParameter('resource');
    return value ? String(value) : null;
}

// The MCP server's audience, which clients described by a client ID metadata
// document (ephemeral clients) may ask for: the registration policy that
// gives dynamic clients their "audiences" property never runs for them.
var MCP_AUDIENCE = 'https://mcp.demo.example/';

// Audiences come from three places: static clients list them in their
// configuration, dynamic clients carry the "audiences" property that the
// registration policy stored, and ephemeral clients, whose client ID is the
// https URL of their metadata document, get the MCP audience.
function allowedAudiences(client) {
    var audiences = [];
    if (!client) {
        return audiences;
    }
    if (isEphemeral(client)) {
        audiences.push(MCP_AUDIENCE);
    }
    if (client.audiencesAsString) {
        audiences = audiences.concat(splitList(String(client.audiencesAsString)));
    }
    if (client.properties && client.properties.audiences) {
        audiences = audiences.concat(listOf(client.properties.audiences));
    }
    return audiences;
}

// A stored property may come back as an array, a Java list, a JSON array
// string or a space separated string; compare whole values, never substrings.
function listOf(value) {
    if (typeof value === 'string') {
        var text = value.trim();
        if (text.charAt(0) === '[') {
            try {
                return listOf(JSON.parse(text));
            } catch (ignored) {
                return [];
            }
        }
        return splitList(text);
    }
    if (typeof value.size === 'function' && typeof value.get === 'function') {
        var items = [];
        for (var i = 0; i < value.size(); i++) {
            items.push(String(value.get(i)));
        }
        return items;
    }
    if (typeof value.length === 'number') {
        return Array.prototype.slice.call(value).map(String);
    }
    return [String(value)];
}

function splitList(text) {
    return text.split(/[\s,]+/).filter(function (item) {
        return item.length > 0;
    });
}

// Only ephemeral clients have https URLs as client IDs here: the static
// clients have plain names and the server generates the dynamic ones.
function isEphemeral(client) {
    return client.id !== undefined && client.id !== null && String(client.id).indexOf('https://') === 0;
}
