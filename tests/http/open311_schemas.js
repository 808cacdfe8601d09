'use strict';
/*
 * open311_schemas — JSON Schemas of the Open311 GeoReport v2 documents guichet answers in
 * JSON, written from the specification (wiki.open311.org/GeoReport_v2: «Service Discovery»,
 * «GET Service List», «GET Service Definition», «GET Service Requests»): required fields,
 * ids and codes as strings, the two statuses, RFC 3339 date-times, the attribute datatypes,
 * optional fields that may be null, descriptions of at most 4,000 characters. The tests
 * validate every Open311 JSON answer against them (harness.js `validate`).
 */

const str = { type: 'string' };
const nullable = (schema) => ({ anyOf: [schema, { type: 'null' }] });
const dateTime = { type: 'string', format: 'date-time' };

const request = {
    $id: 'request.json',
    type: 'object',
    required: ['service_request_id', 'status', 'service_code', 'requested_datetime'],
    properties: {
        service_request_id: str,
        status: { type: 'string', enum: ['open', 'closed'] },
        status_notes: nullable(str),
        service_name: nullable(str),
        service_code: str,
        description: nullable({ type: 'string', maxLength: 4000 }),
        agency_responsible: nullable(str),
        service_notice: nullable(str),
        requested_datetime: dateTime,
        updated_datetime: nullable(dateTime),
        expected_datetime: nullable(dateTime),
        address: nullable(str),
        address_id: nullable(str),
        zipcode: nullable(str),
        lat: nullable({ type: 'number' }),
        long: nullable({ type: 'number' }),
        media_url: nullable({ type: 'string', format: 'uri' }),
    },
};

const service = {
    $id: 'service.json',
    type: 'object',
    required: ['service_code', 'service_name', 'metadata', 'type'],
    properties: {
        service_code: str,
        service_name: str,
        description: nullable(str),
        metadata: { type: 'boolean' },
        type: { type: 'string', enum: ['realtime', 'batch', 'blackbox'] },
        keywords: nullable(str),
        group: nullable(str),
    },
};

const attribute = {
    type: 'object',
    required: ['variable', 'code', 'datatype', 'required'],
    properties: {
        variable: { type: 'boolean' },
        code: str,
        datatype: {
            type: 'string',
            enum: ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'],
        },
        required: { type: 'boolean' },
        datatype_description: nullable(str),
        order: nullable({ type: 'integer' }),
        description: nullable(str),
        values: {
            type: 'array',
            items: { type: 'object', required: ['key', 'name'], properties: { key: str, name: str } },
        },
    },
};

const serviceDefinition = {
    $id: 'service-definition.json',
    type: 'object',
    required: ['service_code', 'attributes'],
    properties: { service_code: str, attributes: { type: 'array', items: attribute } },
};

/* The list documents: GET requests and GET services answer arrays. */
const requests = { $id: 'requests.json', type: 'array', items: { $ref: 'request.json' } };
const services = { $id: 'services.json', type: 'array', items: { $ref: 'service.json' } };

module.exports = { request, requests, service, services, 'service-definition': serviceDefinition };
