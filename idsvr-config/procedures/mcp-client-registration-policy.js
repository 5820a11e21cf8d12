/*
 * DCR pre-processing procedure: the registration policy for MCP clients.
 *
 * Runs before the registration endpoint handles a request. The attributes it
 * returns are merged into the registered client, so every MCP client that
 * asks for stocks/read gets the same locked-down settings whatever it sent.
 * A registration whose redirect URIs could leak an authorization code, or
 * whose metadata is larger than an MCP client needs, is refused outright.
 *
 * Curity runs procedures as ECMAScript 5.1, so this file sticks to var,
 * function declarations and no newer syntax.
 *
 * @param {se.curity.identityserver.procedures.context.DcrPreProcessingProcedureContext} context
 */
function result(context) {
    var request = context.getRequest();
    var method = String(request.getMethod()).toUpperCase();

    // POST registers a client and PUT (client management) replaces one:
    // both carry redirect URIs, only a new registration gets the MCP policy.
    if (method !== 'POST' && method !== 'PUT') {
        return {};
    }

    var body = request.getParsedBodyAsJson();
    rejectOversizedMetadata(body);
    rejectUnsafeRedirectUris(body);

    if (method !== 'POST') {
        return {};
    }
    return mcpClientAttributes(body);
}

var MCP_SCOPE = 'stocks/read';
var MCP_AUDIENCES = ['https://mcp.demo.example/'];
var LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

// The policy from the design: PKCE, 15-minute access tokens, no refresh
// tokens, the MCP server as the only audience, and the properties that the
// login page, the consent page and the APIs read later.
function mcpClientAttributes(body) {
    if (!isObject(body) || !scopeIncludes(body.scope, MCP_SCOPE)) {
        return {};
    }
    return {
        require_proof_key: true,
        access_token_ttl: 900,
        refresh_token_ttl: 0,
        audiences: MCP_AUDIENCES.slice(),
        client_type: 'mcp',
        client_assurance_level: 1,
        name: body.client_name,
        template_area: 'mcp-client'
    };
}

// Bounds of what one open registration may store, the defaults of the open
// server (authorization-server/src/config.ts, REGISTRATION_MAX_CLIENT_NAME_LENGTH,
// REGISTRATION_MAX_LIST_ITEMS, REGISTRATION_MAX_VALUE_LENGTH): without
// them one caller could store kilobytes per client, thousands of times.
var METADATA_LIMITS = {
    maxClientNameLength: 100,
    // Items of redirect_uris and of any other list, members of any nested object.
    maxListItems: 10,
    // Characters of each URI and of any other string value.
    maxValueLength: 2000,
    maxDepth: 3
};

// invalid_client_metadata is the RFC 7591 error for metadata the server refuses.
function rejectOversizedMetadata(body) {
    if (!isObject(body)) {
        return;
    }
    var name = body.client_name;
    if (typeof name === 'string' && codePoints(name) > METADATA_LIMITS.maxClientNameLength) {
        throw exceptionFactory.badRequestException('invalid_client_metadata',
            'client_name is longer than ' + METADATA_LIMITS.maxClientNameLength + ' characters');
    }
    var problem = sizeProblem(body, '', 0);
    if (problem) {
        throw exceptionFactory.badRequestException('invalid_client_metadata', problem);
    }
}

function sizeProblem(value, path, depth) {
    if (depth > METADATA_LIMITS.maxDepth) {
        return path + ' is nested too deeply';
    }
    if (typeof value === 'string') {
        return value.length > METADATA_LIMITS.maxValueLength
            ? path + ' is longer than ' + METADATA_LIMITS.maxValueLength + ' characters'
            : null;
    }
    if (!isObject(value)) {
        return null;
    }
    if (isList(value)) {
        var items = listOf(value);
        if (items.length > METADATA_LIMITS.maxListItems) {
            return path + ' has more than ' + METADATA_LIMITS.maxListItems + ' items';
        }
        for (var i = 0; i < items.length; i++) {
            var itemProblem = sizeProblem(items[i], path + '[' + i + ']', depth + 1);
            if (itemProblem) {
                return itemProblem;
            }
        }
        return null;
    }
    var keys = [];
    for (var key in value) {
        if (Object.prototype.hasOwnProperty.call(value, key)) {
            keys.push(key);
        }
    }
    if (depth > 0 && keys.length > METADATA_LIMITS.maxListItems) {
        return path + ' has more than ' + METADATA_LIMITS.maxListItems + ' members';
    }
    for (var k = 0; k < keys.length; k++) {
        var memberProblem = sizeProblem(value[keys[k]], path ? path + '.' + keys[k] : keys[k], depth + 1);
        if (memberProblem) {
            return memberProblem;
        }
    }
    return null;
}

// Characters as people count them: a surrogate pair is one.
function codePoints(text) {
    return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
}

function isList(value) {
    return Array.isArray(value) || (typeof value.size === 'function' && typeof value.get === 'function');
}

function scopeIncludes(scope, wanted) {
    if (typeof scope !== 'string') {
        return false;
    }
    return scope.split(' ').indexOf(wanted) !== -1;
}

function rejectUnsafeRedirectUris(body) {
    if (!isObject(body)) {
        return;
    }
    var uris = listOf(body.redirect_uris);
    for (var i = 0; i < uris.length; i++) {
        var problem = redirectUriProblem(uris[i]);
        if (problem) {
            // invalid_redirect_uri is the RFC 7591 error for this case.
            throw exceptionFactory.badRequestException('invalid_redirect_uri', problem);
        }
    }
}

// Returns why a redirect URI is refused, or null when it is acceptable:
// https anywhere, or plain http only on a loopback address (RFC 8252 7.3),
// never with a fragment, user information or an unparsable authority.
function redirectUriProblem(uri) {
    if (typeof uri !== 'string' || uri.length === 0) {
        return 'A redirect URI must be a non-empty string';
    }
    if (/[\s\u0000-\u001f\u007f\\]/.test(uri)) {
        return 'The redirect URI ' + uri + ' contains whitespace, control characters or a backslash';
    }
    if (uri.indexOf('#') !== -1) {
        return 'The redirect URI ' + uri + ' must not contain a fragment';
    }

    var scheme = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/.exec(uri);
    if (!scheme) {
        return 'The redirect URI ' + uri + ' is not an absolute URI';
    }
    var schemeName = scheme[1].toLowerCase();
    if (schemeName !== 'https' && schemeName !== 'http') {
        return 'The ' + schemeName + ' scheme is not allowed for redirect URIs: use https, or http on a loopback address';
    }

    var parts = /^[a-zA-Z][a-zA-Z0-9+.\-]*:\/\/([^\/?]*)/.exec(uri);
    if (!parts) {
        return 'The redirect URI ' + uri + ' has no host';
    }
    var authority = parts[1];
    if (authority.indexOf('@') !== -1) {
        return 'The redirect URI ' + uri + ' must not contain user information';
    }
    var host = hostOf(authority);
    if (!host) {
        return 'The redirect URI ' + uri + ' has no valid host and port';
    }
    if (schemeName === 'http' && LOOPBACK_HOSTS.indexOf(host) === -1) {
        return 'The redirect URI ' + uri + ' uses http, which is only allowed on 127.0.0.1, localhost or [::1]';
    }
    return null;
}

// The lower-cased host of an authority ("host", "host:port" or "[v6]:port"),
// or null when the authority is malformed.
function hostOf(authority) {
    var match = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d*))?$/.exec(authority);
    return match ? match[1].toLowerCase() : null;
}

function isObject(value) {
    return value !== null && typeof value === 'object';
}

// Request bodies may arrive as JavaScript arrays or as Java lists.
function listOf(value) {
    if (value === null || value === undefined) {
        return [];
    }
    if (typeof value === 'string') {
        return [value];
    }
    if (typeof value.size === 'function' && typeof value.get === 'function') {
        var items = [];
        for (var i = 0; i < value.size(); i++) {
            items.push(String(value.get(i)));
        }
        return items;
    }
    if (typeof value.length === 'number') {
        return Array.prototype.slice.call(value);
    }
    return [value];
}
