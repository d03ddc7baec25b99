"""Artifact files under instance/packages: the path-safe, atomic store, folders walked without
following links, and the temporary files of uploads in progress. No Flask, no database."""
