"""The operations the server does not list under a grid's images: the Tools dock (one image's
describe, retexture, remove background and Topaz from an address or a dropped image; blend;
shorten) and the Tools menu that opens it. The grid's own buttons for the same tools live in
studio.ui.grid (actions.IMAGE_TOOLS); both send through studio.session.operations."""
