"""Legnext Studio: a desktop prompt studio for Midjourney through the Legnext REST API."""

__version__ = "0.1.0"
