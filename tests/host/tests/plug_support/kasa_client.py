#!/var/cache/hasan-pyvenv/bin/python3
"""python-kasa, the independent client that cross-checks the Kasa emulator.

  kasa_client.py HOST PORT state|on|off [OUTLET]     (OUTLET: 1-based, strips only)

Prints the state after the action: "on" or "off".
"""
import asyncio
import sys

from kasa import DeviceConfig
from kasa.iot import IotPlug, IotStrip


async def main(host, port, what, outlet):
    config = DeviceConfig(host=host, port_override=port, timeout=5)
    dev = (IotStrip if outlet else IotPlug)(host, config=config)
    await dev.update()
    target = dev.children[outlet - 1] if outlet else dev
    if what == "on":
        await target.turn_on()
    elif what == "off":
        await target.turn_off()
    await dev.update()
    target = dev.children[outlet - 1] if outlet else dev
    print("on" if target.is_on else "off")
    await dev.disconnect()


if __name__ == "__main__":
    host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    outlet = int(sys.argv[4]) if len(sys.argv) > 4 else None
    asyncio.run(main(host, port, what, outlet))
