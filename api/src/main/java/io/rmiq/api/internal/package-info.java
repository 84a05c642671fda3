/**
 * Not API. Shared implementation of the rmiq client and the embedded server: the queue handle both
 * hand to applications, and the translation of RMI failures into rmiq exceptions. It may change in
 * any release.
 */
package io.rmiq.api.internal;
