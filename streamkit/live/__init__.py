"""Live everywhere at once: a local relay takes the program once, one supervised leg per destination pushes it on.

``destinations`` resolves ``settings.live`` into targets (server plus secret key, platform presets); ``relay``
writes and runs nginx-rtmp on 127.0.0.1; ``leg`` is the pure state machine of one push; ``supervisor`` runs the legs'
ffmpeg processes by it; ``run`` ties relay, legs and the run folder together; ``masking`` hides stream keys in every
URL and text streamkit shows.
"""
