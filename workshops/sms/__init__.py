"""Registering by SMS: keywords residents text, and the number they text them to."""
