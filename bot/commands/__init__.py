"""One module per `copybot` command."""
