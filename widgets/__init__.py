"""Reusable widgets: reactives in, messages out; none of them holds an AWS client."""
