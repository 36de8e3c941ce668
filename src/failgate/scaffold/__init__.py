"""What `failgate init` writes into a consumer repository."""
