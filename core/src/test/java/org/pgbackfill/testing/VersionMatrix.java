package org.pgbackfill.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class that must pass on every PostgreSQL major version the tool supports (13 to 18):
 * parity, resume, online and fault tests. {@code .ci/run} runs the whole suite on the newest
 * version and these ({@code -Dgroups=matrix}) on each of the others.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(VersionMatrix.TAG)
public @interface VersionMatrix {
    String TAG = "matrix";
}
