/**
 * Not API: helpers that several of the client's packages share (the worker runtime, the executor,
 * the CLI). They may change in any release.
 */
package io.rmiq.client.internal;
