"""Built-in graph stores; importing this package registers them in ``kg.store.STORES``."""
