"""Videos uploaded through the admin: the upload folder, and the transcode that publishes them."""
