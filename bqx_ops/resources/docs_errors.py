"""The docs repository's errors, apart from ``DocsRepo`` so that the mixins it is made of (origin, tags)
raise them without importing the module that imports them."""


class DocsRepoError(RuntimeError):
    """git failed in a way bqx_ops cannot fix by retrying; the message says what and where."""


class BatchRejected(DocsRepoError):
    """The one push of a batch was refused (origin moved meanwhile): nothing of the batch was pushed."""
