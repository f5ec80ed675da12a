package main

// The fallback root certificates (Mozilla's bundle, embedded) are used only
// when the system has none, as in the scratch-based Docker image; on a host
// with CA certificates the system's are used.
import _ "golang.org/x/crypto/x509roots/fallback"
