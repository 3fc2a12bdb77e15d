"""What customers see outside the chat itself, shared by the features that
show it: their texts in their language (`texts`) and the rendering of a
script-free customer page (`rendering`). Channels and features build on it;
it knows none of them."""
