throw new Error('contract module\nexploded while loading');
