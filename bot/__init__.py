"""Trivselsguiden: a chat guide to help for children's and young people's mental health."""
