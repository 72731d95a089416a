// SerialPort and SerialPortError live in PetrelSerialPort (so the transport's
// serial link can use them without depending on the session); users of the
// bridge keep seeing them through `import PetrelSerial`.
@_exported import PetrelSerialPort
