-- want: instructions
-- error: instruction limit of 1000000 exceeded
-- string.char of thousands of codes, kept: the work of unpacking and
-- building them counts before their memory can.
function f(ctx)
  local codes, kept = {}, {}
  for i = 1, 30000 do codes[i] = 65 end
  while true do kept[#kept + 1] = string.char(unpack(codes)) end
end
