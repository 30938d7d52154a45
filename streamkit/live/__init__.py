"""Live everywhere at once: a local relay takes the program once, one supervised leg per destination pushes it on.

``settings.live`` names the destinations; ``relay`` writes and runs nginx-rtmp on 127.0.0.1; ``leg`` is the pure
state machine of one push; ``supervisor`` runs the legs' ffmpeg processes; ``masking`` hides stream keys in every
URL and text streamkit shows.
"""
