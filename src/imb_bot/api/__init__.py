"""FastAPI application: app factory, routers, request/response schemas, dashboard hosting.

May import every shell package; handlers stay thin and call services.
"""
