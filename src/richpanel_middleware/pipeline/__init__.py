"""Ingress and worker services. They depend on ports only, never on a concrete adapter."""
